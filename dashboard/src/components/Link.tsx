/** An <a> that navigates inside the dashboard without reloading (modifier clicks still open a new tab). */
import type { AnchorHTMLAttributes, MouseEvent } from "react"
import { navigate } from "../router.ts"

export const Link = ({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { readonly href: string }) => (
  <a
    href={href}
    onClick={(event: MouseEvent<HTMLAnchorElement>) => {
      onClick?.(event)
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
      event.preventDefault()
      navigate(href)
    }}
    {...rest}
  />
)
